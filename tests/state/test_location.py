"""reconciler.state.location: the one public form of a state location (no password in
any of its spellings), and which locations may use a password from the environment."""

from __future__ import annotations

import os

import pytest

from reconciler.errors import StateError
from reconciler.state.backends import open_store
from reconciler.state.location import has_password, parse_pg_url, public_form, same_location

SECRET = "Hunter2-s3cret"


@pytest.mark.parametrize(
    ("location", "shown"),
    [
        (
            f"postgresql://u:{SECRET}@h/db?name=q",
            "postgresql://u@h/db?name=q&schema=exoplan",
        ),
        (
            f"postgresql://u@h/db?name=q&password={SECRET}",
            "postgresql://u@h/db?name=q&schema=exoplan",
        ),
        (
            f"postgresql://u@h/db?password={SECRET}&name=q&sslmode=require",
            "postgresql://u@h/db?name=q&schema=exoplan&sslmode=require",
        ),
        (
            f"postgres://u@h/db?name=q&%70assword={SECRET}&sslpassword={SECRET}",
            "postgresql://u@h/db?name=q&schema=exoplan",
        ),
        # Malformed URLs and libpq keyword strings are shown with the password cut too.
        (f"postgresql://u:{SECRET}@h:port/db?name=q", "postgresql://u@h:port/db?name=q"),
        (f"postgresql://u@h/db?password={SECRET}", "postgresql://u@h/db?password=***"),
        (f"host=h dbname=db password={SECRET} user=u", "host=h dbname=db password=*** user=u"),
        (f"host=h password = '{SECRET} x\\' y' user=u", "host=h password=*** user=u"),
        ("states/prod.state.json", "states/prod.state.json"),
    ],
)
def test_every_spelling_of_a_password_is_cut_from_the_public_form(
    location: str, shown: str
) -> None:
    assert public_form(location) == shown
    assert SECRET not in public_form(location)


def test_a_query_password_still_reaches_the_connection_but_not_the_where() -> None:
    location = parse_pg_url(f"postgresql://u@h/db?name=q&password={SECRET}")
    assert location.conninfo()["password"] == SECRET
    assert SECRET not in location.where and SECRET not in repr(location)


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://u:{SECRET}@h/db?name=q",
        f"postgresql://u@h/db?name=q&password={SECRET}",
        f"postgresql://u@h/db?name=q&PASSWORD={SECRET}",
        f"postgresql://u@h/db?name=q&%70assword={SECRET}",
        f"host=h password={SECRET}",
    ],
)
def test_has_password_sees_every_spelling(url: str) -> None:
    assert has_password(url)
    assert not has_password("postgresql://u@h/db?name=q&passfile=x")


def test_a_location_chosen_without_environment_credentials_reads_no_password() -> None:
    location = parse_pg_url("postgresql://u@h/db?name=q&passfile=/home/ci/.pgpass")
    trusted = location.conninfo()
    assert "password" not in trusted and trusted["passfile"] == "/home/ci/.pgpass"
    untrusted = location.without_environment_credentials().conninfo()
    # An empty password keeps libpq from reading PGPASSWORD or a service file's password;
    # a passfile that cannot exist keeps it from ~/.pgpass, PGPASSFILE or the URL's own.
    assert untrusted["password"] == ""
    assert not os.path.exists(untrusted["passfile"])


def test_same_location_compares_public_forms_and_absolute_paths(tmp_path: object) -> None:
    assert same_location("s.json", os.path.join(os.getcwd(), "s.json"))
    assert same_location("./a/../s.json", "s.json")
    assert not same_location("s.json", "t.json")
    url = "postgresql://u@h/db?name=q"
    assert same_location(f"postgresql://u:{SECRET}@h/db?name=q", url)
    assert not same_location("postgresql://u@evil/db?name=q", url)
    assert not same_location(url, "s.json")


def test_libpq_keywords_are_refused_as_a_file_path_without_showing_the_password() -> None:
    with pytest.raises(StateError) as caught:
        open_store(f"host=db dbname=ops password={SECRET}")
    assert str(caught.value).startswith("host=db dbname=ops password=***: libpq keywords")
    assert SECRET not in str(caught.value)
