"""Properties that must hold for any input, checked with hypothesis.

- Normalisation: E.164 is a fixed point, and every spelling of a number ("+91…", "91…",
  "0…", with or without separators) gives the same E.164 or is refused alike.
- Planning: a plan touches only numbers of the manifest or the state, buys exactly the
  missing ones, releases exactly the dropped ones and updates only numbers in both;
  applying it (to an in-memory Exotel, then to the sandbox, also with 5xx answers and
  dropped connections) and planning again gives no changes, and no number is bought twice.
- Input files: no manifest or state, random or mutated, makes `validate` or `plan` crash:
  the exit code is 0 or 1, never a traceback.

Examples are derandomized, so every run (and CI) checks the same ones. Set
EXOPLAN_EXPLORE=N to run N fresh random examples per property instead.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from reconciler.apply.executor import execute
from reconciler.apply.fold import fold
from reconciler.cli import main as cli
from reconciler.errors import UnsafePlanError
from reconciler.exotel.client import Credentials, ExotelClient
from reconciler.manifest.load import load_manifest
from reconciler.manifest.numbers import InvalidNumber, normalise
from reconciler.model import (
    Account,
    ActionKind,
    Flow,
    Manifest,
    NumberSpec,
    Plan,
    State,
)
from reconciler.plan import drift
from reconciler.plan.planner import make_plan
from reconciler.sandbox.server import Sandbox
from reconciler.sandbox.store import NumberStore
from reconciler.state.journal import Journal
from tests.support.project import ACCOUNT, REPO
from tests.support.run import exoplan
from tests.support.sandbox import new_sandbox

_EXPLORE = os.environ.get("EXOPLAN_EXPLORE", "").strip()


def examples(count: int) -> settings:
    """Derandomized ``count`` examples, or EXOPLAN_EXPLORE random ones; no database."""
    return settings(
        max_examples=int(_EXPLORE) if _EXPLORE else count,
        derandomize=not _EXPLORE,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


SID = ACCOUNT
EXAMPLE = REPO / "examples" / "numbers.yaml"

# -- normalisation ------------------------------------------------------------------

# National significant numbers of Indian landlines (Bengaluru, Delhi, Chennai, Mumbai),
# mobiles and toll-free numbers: (leading digits, how many digits follow).
INDIAN_RANGES = [
    ("80", 8),
    ("11", 8),
    ("44", 8),
    ("22", 8),
    ("9", 9),
    ("8", 9),
    ("7", 9),
    ("6", 9),
    ("1800", 7),
    ("1800", 6),
]


@st.composite
def indian_nsns(draw: st.DrawFn) -> str:
    lead, length = draw(st.sampled_from(INDIAN_RANGES))
    return lead + f"{draw(st.integers(0, 10**length - 1)):0{length}d}"


@st.composite
def separated(draw: st.DrawFn, digits: str) -> str:
    """``digits`` with spaces or dashes between some of them, as people write numbers."""
    out = []
    for digit in digits:
        out.append(draw(st.sampled_from(["", "", "", " ", "-"])) if out else "")
        out.append(digit)
    return "".join(out)


@given(nsn=indian_nsns(), data=st.data())
@examples(300)
def test_every_spelling_of_an_indian_number_is_one_number(nsn: str, data: st.DataObject) -> None:
    spellings = [data.draw(separated(prefix + nsn)) for prefix in ("+91", "91", "0")]
    spellings[0] = "+" + spellings[0].lstrip("+ -")  # the plus stays in front
    results = set()
    for text in spellings:
        try:
            results.add(normalise(text))
        except InvalidNumber:
            results.add(None)
    assert len(results) == 1, f"{spellings} read as {results}"
    (e164,) = results
    event("valid" if e164 else "invalid")
    if e164 is not None:
        assert e164 == "+91" + nsn
        assert normalise(e164) == e164


REGIONS = ["IN", "SG", "US", "GB", "AE", "MY", "ID"]
TYPES = [
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
]


@st.composite
def foreign_numbers(draw: st.DrawFn) -> tuple[str, phonenumbers.PhoneNumber]:
    """A valid number near a region's example number, and its region."""
    region = draw(st.sampled_from(REGIONS))
    sample = phonenumbers.example_number_for_type(region, draw(st.sampled_from(TYPES)))
    nsn = str(sample.national_number)
    tail = draw(st.integers(1, min(4, len(nsn) - 1)))
    digits = draw(st.text("0123456789", min_size=tail, max_size=tail))
    parsed = phonenumbers.parse(f"+{sample.country_code}{nsn[:-tail]}{digits}")
    return region, parsed


@given(found=foreign_numbers(), other=st.sampled_from(sorted(phonenumbers.SUPPORTED_REGIONS)))
@examples(200)
def test_international_and_national_spellings_agree_in_every_region(
    found: tuple[str, phonenumbers.PhoneNumber], other: str
) -> None:
    region, parsed = found
    if not phonenumbers.is_valid_number(parsed):
        event("invalid variant")
        return
    fmt = phonenumbers.PhoneNumberFormat
    e164 = phonenumbers.format_number(parsed, fmt.E164)
    national = phonenumbers.format_number(parsed, fmt.NATIONAL)
    international = phonenumbers.format_number(parsed, fmt.INTERNATIONAL)
    assert normalise(national, region) == e164
    assert normalise(international, region) == e164
    # E.164 is absolute: it reads the same whatever the default country.
    assert normalise(e164, other) == e164
    assert normalise(normalise(international, other), region) == e164


@given(text=st.one_of(st.text(max_size=40), st.from_regex(r"[+0-9 ()\-.]{0,20}", fullmatch=True)))
@examples(300)
def test_normalise_is_idempotent_or_refuses_cleanly(text: str) -> None:
    try:
        e164 = normalise(text)
    except InvalidNumber:
        return
    assert re.fullmatch(r"\+[1-9][0-9]{4,15}", e164)
    assert normalise(e164) == e164
    assert normalise(e164, "US") == e164


# -- random manifests and states ----------------------------------------------------

POOL_SIZE = 8
FLOW_NAMES = ["support", "sales", "night"]
APP_IDS = ["101", "202", "303", "404"]  # two flows may share one app id
NAMES = ["Support", "Sales", "", "Délhi ☎ desk", 'quote " and \\ slash']


def pool(block: int) -> list[str]:
    """POOL_SIZE valid Bengaluru numbers, a different set for every block."""
    return [f"+9180{40000000 + block * POOL_SIZE + i:08d}" for i in range(POOL_SIZE)]


def flow_urls(app_id: str, kind: str) -> list[str]:
    """The shapes of one flow's URL that Exotel may send back."""
    return [
        f"http://my.exotel.com/{SID}/exoml/{kind}/{app_id}",
        f"https://my.exotel.in/{SID}/exoml/{kind}/{app_id}",
        f"https://my.exotel.com/exoml/start/{app_id}",
        f"https://my.exotel.com/{SID}/exoml/{kind}/{app_id}/",
    ]


@dataclass(frozen=True)
class Wanted:
    """One manifest entry, by index into a pool of numbers."""

    index: int
    friendly_name: str | None
    voice_flow: str | None
    sms_flow: str | None
    protect: bool


@dataclass(frozen=True)
class Held:
    """One state entry, by index into a pool of numbers."""

    index: int
    friendly_name: str | None
    voice_url: str | None
    sms_url: str | None
    protect: bool


@dataclass(frozen=True)
class Scenario:
    """A manifest and a state over one pool of numbers, not tied to the pool yet."""

    flows: dict[str, str]
    wanted: tuple[Wanted, ...]
    held: tuple[Held, ...]

    def manifest(self, numbers: list[str]) -> Manifest:
        specs = {
            numbers[w.index]: NumberSpec(
                number=numbers[w.index],
                written=numbers[w.index],
                index=position,
                friendly_name=w.friendly_name,
                voice_flow=w.voice_flow,
                sms_flow=w.sms_flow,
                protect=w.protect,
            )
            for position, w in enumerate(self.wanted)
        }
        flows = {name: Flow(name, app_id) for name, app_id in self.flows.items()}
        return Manifest("numbers.yaml", "0" * 64, Account(SID, "mumbai"), flows, specs)

    def state(self, numbers: list[str]) -> State:
        entries = {}
        for h in self.held:
            number = numbers[h.index]
            entries[number] = {
                "sid": "sid" + number.lstrip("+"),
                "phone_number": number,
                "friendly_name": h.friendly_name,
                "voice_url": h.voice_url,
                "sms_url": h.sms_url,
                "rental_price": "499.000000",
                "currency": "INR",
                "protect": h.protect,
            }
        return State("numbers.state.json", "lineage-1", 3, SID, entries)

    @property
    def wanted_indexes(self) -> set[int]:
        return {w.index for w in self.wanted}

    @property
    def held_indexes(self) -> set[int]:
        return {h.index for h in self.held}


def urls(kind: str) -> st.SearchStrategy[str | None]:
    """No URL, any shape of a known or unknown app's URL, or one with no app id."""
    shaped = st.builds(
        lambda app, shape: flow_urls(app, kind)[shape],
        st.sampled_from(APP_IDS + ["999"]),
        st.integers(0, 3),
    )
    return st.one_of(st.none(), shaped, st.just("https://example.com/hooks/calls"))


@st.composite
def scenarios(draw: st.DrawFn, unprotected_releases: bool = False) -> Scenario:
    """Each pool number is in neither, both, only the manifest or only the state."""
    flows = draw(st.dictionaries(st.sampled_from(FLOW_NAMES), st.sampled_from(APP_IDS)))
    flow = st.none() | st.sampled_from(sorted(flows)) if flows else st.none()
    name = st.none() | st.sampled_from(NAMES)
    places = st.sampled_from(["neither", "both", "manifest", "state"])
    wanted, held = [], []
    for i, place in enumerate(draw(st.lists(places, min_size=POOL_SIZE, max_size=POOL_SIZE))):
        if place in ("both", "manifest"):
            wanted.append(Wanted(i, draw(name), draw(flow), draw(flow), draw(st.booleans())))
        if place in ("both", "state"):
            may_protect = place == "both" or not unprotected_releases
            protect = draw(st.booleans()) if may_protect else False
            voice, sms = draw(urls("start_voice")), draw(urls("start_sms"))
            held.append(Held(i, draw(name), voice, sms, protect))
    return Scenario(flows, tuple(wanted), tuple(held))


def plan_or_refusal(manifest: Manifest, state: State) -> Plan | None:
    """The plan, or None when it was refused for the protected numbers it would release."""
    gone = set(state.numbers) - set(manifest.numbers)
    protected = sorted(n for n in gone if state.numbers[n].get("protect"))
    if not protected:
        return make_plan(manifest, state)
    with pytest.raises(UnsafePlanError) as refused:
        make_plan(manifest, state)
    for number in protected:
        assert number in str(refused.value)
    return None


@given(scenario=scenarios())
@examples(300)
def test_a_plan_buys_the_missing_releases_the_dropped_and_updates_only_the_rest(
    scenario: Scenario,
) -> None:
    numbers = pool(0)
    manifest, state = scenario.manifest(numbers), scenario.state(numbers)
    plan = plan_or_refusal(manifest, state)
    if plan is None:
        event("refused: protected number dropped")
        return
    wanted, held = set(manifest.numbers), set(state.numbers)
    by_kind = {kind: {a.number for a in plan.actions if a.kind is kind} for kind in ActionKind}
    touched = [action.number for action in plan.actions]
    assert set(touched) <= wanted | held
    assert len(touched) == len(set(touched)), "one action per number at most"
    assert by_kind[ActionKind.PURCHASE] == wanted - held
    assert by_kind[ActionKind.RELEASE] == held - wanted
    assert by_kind[ActionKind.UPDATE] <= wanted & held
    assert plan.unchanged == len(wanted & held) - len(by_kind[ActionKind.UPDATE])
    order = [(action.kind.rank, action.number) for action in plan.actions]
    assert order == sorted(order)
    for action in plan.actions:
        check_params(action.kind, action.params, manifest.numbers.get(action.number))


def check_params(kind: ActionKind, params: dict[str, str], spec: NumberSpec | None) -> None:
    """What is sent to Exotel is only ever what the manifest manages."""
    if kind is ActionKind.RELEASE:
        assert params == {}
        return
    assert spec is not None
    managed = {
        "FriendlyName": spec.friendly_name is not None,
        "VoiceUrl": spec.voice_flow is not None,
        "SMSUrl": spec.sms_flow is not None,
    }
    for param in params:
        assert managed[param], f"{param} sent for {spec.number}, which does not manage it"
    if kind is ActionKind.PURCHASE:
        assert set(params) == {param for param, is_managed in managed.items() if is_managed}


@st.composite
def trimmed(draw: st.DrawFn, record: dict[str, Any]) -> dict[str, Any]:
    """Exotel's answer, sometimes without the flow URLs (its purchase answer omits them)."""
    dropped = draw(st.sets(st.sampled_from(["voice_url", "sms_url"])))
    return {key: value for key, value in record.items() if key not in dropped}


def apply_in_memory(plan: Plan, state: State, exotel: NumberStore, data: st.DataObject) -> None:
    """Each action against the in-memory account, its answer folded as apply does."""
    for action in plan.actions:
        record: dict[str, Any] = {}
        if action.kind is ActionKind.PURCHASE:
            record = exotel.purchase({**action.params, "PhoneNumber": action.number})
        elif action.kind is ActionKind.UPDATE and action.needs_api:
            assert action.sid is not None
            record = exotel.update(action.sid, action.params)
        elif action.kind is ActionKind.RELEASE:
            assert action.sid is not None
            exotel.release(action.sid)
        answer = data.draw(trimmed(record))
        fold(state, action.kind, action.number, answer, action.params, action.protect)


def owned_index(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {record["phone_number"]: record for record in records}


@given(scenario=scenarios(unprotected_releases=True), data=st.data())
@examples(200)
def test_applying_a_plan_in_memory_then_planning_again_changes_nothing(
    scenario: Scenario, data: st.DataObject
) -> None:
    numbers = pool(0)
    manifest, state = scenario.manifest(numbers), scenario.state(numbers)
    exotel = NumberStore(SID)
    exotel.seed(copy.deepcopy(list(state.numbers.values())))
    plan = make_plan(manifest, state)
    apply_in_memory(plan, state, exotel, data)
    assert make_plan(manifest, state).actions == ()
    assert set(state.numbers) == set(manifest.numbers)
    owned = owned_index(exotel.owned())
    assert set(owned) == set(manifest.numbers)
    # The state now says what the account says (flow URLs compared by app id).
    assert drift.detect(state, owned, manifest) == []
    assert make_plan(manifest, drift.refreshed(state, owned)).actions == ()
    assert all(count == 1 for count in exotel.purchases().values())


@given(
    scenario=scenarios(),
    spellings=st.lists(st.integers(0, 2), min_size=POOL_SIZE, max_size=POOL_SIZE),
)
@examples(60)
def test_a_manifest_written_in_any_spelling_loads_as_the_same_numbers(
    scenario: Scenario, spellings: list[int], workdir: Path
) -> None:
    numbers = pool(0)
    wanted = scenario.manifest(numbers)
    entries = []
    for position, spec in enumerate(wanted.numbers.values()):
        nsn = spec.number[3:]
        entry: dict[str, Any] = {
            "number": ["+91" + nsn, "91" + nsn, "0" + nsn][spellings[position]]
        }
        for field in ("friendly_name", "voice_flow", "sms_flow"):
            if getattr(spec, field) is not None:
                entry[field] = getattr(spec, field)
        if spec.protect:
            entry["protect"] = True
        entries.append(entry)
    flows = {name: {"app_id": int(flow.app_id)} for name, flow in wanted.flows.items()}
    document = {"version": 1, "account": {"sid": SID, "region": "mumbai"}, "numbers": entries}
    if flows:
        document["flows"] = flows
    path = workdir / "spellings.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    loaded = load_manifest(str(path))
    assert list(loaded.numbers) == list(wanted.numbers)
    for number, spec in wanted.numbers.items():
        got = loaded.numbers[number]
        assert (got.friendly_name, got.voice_flow, got.sms_flow, got.protect) == (
            spec.friendly_name,
            spec.voice_flow,
            spec.sms_flow,
            spec.protect,
        )
    assert loaded.flows == wanted.flows


# -- apply to the sandbox -----------------------------------------------------------

KEY, TOKEN = "property-key", "property-token"
_BLOCKS = itertools.count(1)  # block 0 is the in-memory pool


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with new_sandbox(api_key=KEY, api_token=TOKEN) as running:
        yield running


def client_for(sandbox: Sandbox) -> ExotelClient:
    """A client that neither paces nor waits long: the sandbox answers at once."""
    return ExotelClient(
        SID,
        sandbox.url,
        Credentials(KEY, TOKEN),
        rate_limit=0,
        read_rate_limit=0,
        timeout=(2.0, 5.0),
        max_retries=4,
        backoff_base=0.005,
        backoff_cap=0.02,
        pool_size=8,
    )


def own_what_the_state_holds(client: ExotelClient, scenario: Scenario, numbers: list[str]) -> State:
    """Buy the state's numbers as an earlier apply would have; the state records them."""
    state = State("numbers.state.json", "lineage-1", 3, SID)
    for h in scenario.held:
        params = {"FriendlyName": h.friendly_name} if h.friendly_name is not None else {}
        if h.voice_url is not None:
            params["VoiceUrl"] = h.voice_url
        if h.sms_url is not None:
            params["SMSUrl"] = h.sms_url
        bought = client.purchase(numbers[h.index], params)
        # As apply records it: the purchase answer has no flow URLs, the sent ones are kept.
        fold(state, ActionKind.PURCHASE, numbers[h.index], bought.record, params, h.protect)
    return state


def apply_to(
    client: ExotelClient, plan: Plan, state: State, journal_path: Path, parallelism: int
) -> None:
    """What `exoplan apply` does after its checks: execute, then fold the outcomes."""
    journal = Journal(str(journal_path))
    journal.open(state.lineage, state.serial)
    try:
        result = execute(plan.actions, client, journal, parallelism)
    finally:
        journal.close()
    failures = [
        f"{o.action.kind.value} {o.action.number}: {o.error}" for o in result.outcomes if not o.ok
    ]
    assert not failures
    for outcome in result.outcomes:
        event(f"{outcome.action.kind.value}: {outcome.detail.split(' (')[0]}")
    for outcome in result.outcomes:
        action = outcome.action
        fold(state, action.kind, action.number, outcome.record or {}, action.params, action.protect)
    journal.remove()


def check_converged(
    sandbox: Sandbox, client: ExotelClient, manifest: Manifest, state: State, numbers: list[str]
) -> None:
    assert make_plan(manifest, state).actions == ()
    # A released number may stay listed a while after its 202 (as Exotel's may): the
    # state's record of the release tells it apart.
    releasing = {n: e.get("sid") for n, e in state.releasing.items()}
    listed = client.owned_index().items()
    owned = {n: r for n, r in listed if n in numbers and releasing.get(n, "") != r.get("sid")}
    assert set(owned) == set(manifest.numbers)
    assert drift.detect(state, owned, manifest) == []
    assert make_plan(manifest, drift.refreshed(state, owned)).actions == ()
    bought = sandbox.purchases
    assert all(bought[n] <= 1 for n in numbers), "a number was bought twice"
    assert all(bought[n] == 1 for n in manifest.numbers)


@given(scenario=scenarios(unprotected_releases=True), parallelism=st.integers(1, 8))
@examples(15)
def test_applying_to_the_sandbox_then_planning_again_changes_nothing(
    scenario: Scenario, parallelism: int, sandbox: Sandbox, workdir: Path
) -> None:
    numbers = pool(next(_BLOCKS))  # fresh numbers: examples share one sandbox
    manifest = scenario.manifest(numbers)
    with client_for(sandbox) as client:
        state = own_what_the_state_holds(client, scenario, numbers)
        plan = make_plan(manifest, state)
        apply_to(client, plan, state, workdir / "sandbox.journal", parallelism)
        check_converged(sandbox, client, manifest, state, numbers)


@given(
    scenario=scenarios(unprotected_releases=True),
    failures=st.integers(0, 2),
    status=st.sampled_from([500, 502, 503]),
    drops=st.integers(0, 2),
    parallelism=st.integers(1, 8),
)
@examples(12)
def test_apply_through_5xx_and_dropped_connections_still_buys_each_number_once(
    scenario: Scenario, failures: int, status: int, drops: int, parallelism: int, workdir: Path
) -> None:
    numbers = pool(0)
    manifest = scenario.manifest(numbers)
    # Armed faults would outlive an example: each gets a sandbox of its own.
    with (
        new_sandbox(api_key=KEY, api_token=TOKEN) as sandbox,
        client_for(sandbox) as client,
    ):
        state = own_what_the_state_holds(client, scenario, numbers)
        plan = make_plan(manifest, state)
        purchases = sum(1 for a in plan.actions if a.kind is ActionKind.PURCHASE)
        sandbox.drop_after_commit_next(min(drops, purchases))
        if any(action.needs_api for action in plan.actions) and failures:
            sandbox.fail_next(failures, status)
        apply_to(client, plan, state, workdir / "faults.journal", parallelism)
        check_converged(sandbox, client, manifest, state, numbers)


# -- no input makes exoplan crash ---------------------------------------------------

EXAMPLE_TEXT = EXAMPLE.read_text(encoding="utf-8")
EXAMPLE_DATA = yaml.safe_load(EXAMPLE_TEXT)
# Characters that mean something to YAML, and some that mean something to exoplan.
YAML_CHARS = list(":-[]{}#&*!|>'\"%@`,?~ \t\n\\0123456789+.eE") + ["\r", "\ufeff", "é", "☎"]


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_no_crash(code: int, err: str, argv: tuple[str, ...]) -> None:
    assert "Traceback" not in err and "exoplan hit a bug" not in err, f"{argv}:\n{err}"
    assert code in (0, 1), f"{argv} exited {code}:\n{err}"
    if code == 1:
        assert err.rstrip().splitlines()[-1].startswith("error: "), err


def check_located(err: str, path: Path, lines: int) -> None:
    """As many PATH:LINE:COLUMN problems as the summary counts, each within the file."""
    *problems, summary = err.rstrip("\n").split("\n")
    counted = re.fullmatch(r"error: (\d+) problems? in .*", summary)
    assert counted, summary
    located = re.compile(re.escape(str(path)) + r":(\d+):(\d+): \S")
    found = [m for m in map(located.match, problems) if m]
    # Lines that are not located continue a message that quotes a line break.
    assert len(found) == int(counted.group(1)), err
    for match in found:
        assert 1 <= int(match.group(1)) <= lines + 1, match.group(0)


def check_manifest_text(capsys: pytest.CaptureFixture[str], path: Path, raw: bytes) -> None:
    """validate and plan end in 0 or 1; every problem is reported as PATH:LINE:COLUMN."""
    path.write_bytes(raw)
    state = path.with_suffix(".state.json")
    if state.exists():
        state.unlink()
    argv = ("validate", "-f", str(path))
    code, out, err = run_cli(capsys, *argv)
    assert_no_crash(code, err, argv)
    if code:
        check_located(err, path, raw.count(b"\n") + 1)
    assert (code == 0) == out.startswith(f"{path}: valid (")
    argv = ("plan", "-f", str(path), "--no-color")
    code, _, err = run_cli(capsys, *argv)
    assert_no_crash(code, err, argv)


@given(text=st.text(max_size=300))
@examples(150)
def test_random_text_as_a_manifest_never_crashes(
    text: str, capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    check_manifest_text(capsys, workdir / "random.yaml", text.encode("utf-8"))


@given(raw=st.binary(max_size=200))
@examples(50)
def test_random_bytes_as_a_manifest_never_crash(
    raw: bytes, capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    check_manifest_text(capsys, workdir / "bytes.yaml", raw)


line_edits = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 999)),
    st.tuples(st.just("duplicate"), st.integers(0, 999)),
    st.tuples(st.just("swap"), st.integers(0, 999), st.integers(0, 999)),
    st.tuples(st.just("indent"), st.integers(0, 999), st.sampled_from(["  ", " ", "\t"])),
    st.tuples(st.just("dedent"), st.integers(0, 999)),
    st.tuples(st.just("truncate"), st.integers(0, 999), st.integers(0, 80)),
    st.tuples(
        st.just("insert"),
        st.integers(0, 999),
        st.integers(0, 80),
        st.text(st.sampled_from(YAML_CHARS) | st.characters(), min_size=1, max_size=3),
    ),
)


def edit_lines(lines: list[str], edit: tuple[Any, ...]) -> list[str]:
    """One edit of a text's lines; line and column numbers wrap around."""
    if not lines:
        return lines
    kind, at = edit[0], edit[1] % len(lines)
    line = lines[at]
    if kind == "delete":
        return lines[:at] + lines[at + 1 :]
    if kind == "duplicate":
        return lines[: at + 1] + lines[at:]
    if kind == "swap":
        other = edit[2] % len(lines)
        swapped = list(lines)
        swapped[at], swapped[other] = swapped[other], swapped[at]
        return swapped
    if kind == "indent":
        changed = edit[2] + line
    elif kind == "dedent":
        changed = line[2:] if line.startswith("  ") else line.lstrip()
    elif kind == "truncate":
        changed = line[: edit[2] % (len(line) + 1)]
    else:
        column = edit[2] % (len(line) + 1)
        changed = line[:column] + edit[3] + line[column:]
    return lines[:at] + [changed] + lines[at + 1 :]


@given(edits=st.lists(line_edits, min_size=1, max_size=6))
@examples(250)
def test_a_mangled_example_manifest_never_crashes(
    edits: list[tuple[Any, ...]], capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    lines = EXAMPLE_TEXT.splitlines()
    for edit in edits:
        lines = edit_lines(lines, edit)
    check_manifest_text(capsys, workdir / "mangled.yaml", ("\n".join(lines) + "\n").encode())


json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["+918030240001", "08030240002", "support-ivr", "mumbai", "IN", "1"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def paths_of(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key or index path inside ``data``, parents before children."""
    found = [prefix]
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else []
    )
    for key, value in items:
        found += paths_of(value, prefix + (key,))
    return found


def mutate(data: Any, draw: st.DataObject) -> Any:
    """Replace, delete, rename or add one thing somewhere inside ``data``."""
    path = draw.draw(st.sampled_from(paths_of(data)))
    what = draw.draw(st.sampled_from(["replace", "delete", "rename", "add"]))
    if not path:
        return draw.draw(json_like) if what == "replace" else data
    parent = data
    for item in path[:-1]:
        parent = parent[item]
    last = path[-1]
    if what == "replace":
        parent[last] = draw.draw(json_like)
    elif what == "delete":
        del parent[last]
    elif what == "rename" and isinstance(parent, dict):
        parent[draw.draw(st.text(max_size=10) | st.sampled_from(FLOW_NAMES))] = parent.pop(last)
    elif isinstance(parent[last], dict):
        parent[last][draw.draw(st.text(max_size=10))] = draw.draw(json_like)
    elif isinstance(parent[last], list):
        parent[last].append(draw.draw(json_like))
    return data


STATE_ENTRY_KEYS = ["sid", "friendly_name", "voice_url", "sms_url", "rental_price", "currency"]


@st.composite
def states(draw: st.DrawFn) -> dict[str, Any]:
    """A state that its schema accepts: the example's numbers and others, odd values."""
    keys = st.sampled_from(["+918030240001", "+918030240002", "+912240350010", "+918030240009"])
    text_or_none = st.none() | st.text(max_size=20) | urls("start_voice")
    numbers = {}
    for number in draw(
        st.lists(keys | st.from_regex(r"\+[1-9][0-9]{4,15}", fullmatch=True), max_size=5)
    ):
        entry: dict[str, Any] = {"phone_number": number}
        for key in draw(st.sets(st.sampled_from(STATE_ENTRY_KEYS))):
            entry[key] = draw(text_or_none)
        if draw(st.booleans()):
            entry["protect"] = draw(st.booleans())
        entry.update(draw(st.dictionaries(st.text(max_size=8), json_like, max_size=2)))
        numbers[number] = entry
    return {
        "format": "exoplan-state",
        "version": 1,
        "lineage": "lineage-1",
        "serial": draw(st.integers(0, 10**6)),
        "account_sid": draw(st.sampled_from([SID, None, "other"])),
        "numbers": numbers,
    }


@given(data=st.data(), changes=st.integers(1, 4), state=states(), flow_style=st.booleans())
@examples(150)
def test_a_manifest_with_random_values_in_random_places_never_crashes(
    data: st.DataObject,
    changes: int,
    state: dict[str, Any],
    flow_style: bool,
    capsys: pytest.CaptureFixture[str],
    workdir: Path,
) -> None:
    document = copy.deepcopy(EXAMPLE_DATA)
    for _ in range(changes):
        document = mutate(document, data)
    text = yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False, default_flow_style=flow_style
    )
    path = workdir / "mutated.yaml"
    check_manifest_text(capsys, path, text.encode("utf-8"))
    state_path = path.with_suffix(".state.json")
    state_path.write_text(json.dumps(state), encoding="utf-8")
    for fmt in ("text", "json", "markdown"):
        argv = ("plan", "-f", str(path), "--format", fmt, "--no-color")
        code, _, err = run_cli(capsys, *argv)
        assert_no_crash(code, err, argv)


def _numeric_paths(data: Any) -> list[tuple[Any, ...]]:
    """Every path of ``data`` that holds a number (booleans are not numbers)."""
    found = []
    for path in paths_of(data):
        value: Any = data
        for item in path:
            value = value[item]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            found.append(path)
    return found


def test_a_non_finite_number_anywhere_in_a_manifest_is_a_located_error(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    document = {**copy.deepcopy(EXAMPLE_DATA), "safety": {"max_release_percent": 10}}
    places = _numeric_paths(document)
    assert ("safety", "max_release_percent") in places
    for path in places:
        for value in (float("nan"), float("inf"), float("-inf")):
            changed = copy.deepcopy(document)
            parent = changed
            for item in path[:-1]:
                parent = parent[item]
            parent[path[-1]] = value
            text = yaml.safe_dump(changed, allow_unicode=True, sort_keys=False)
            target = workdir / "non-finite.yaml"
            target.write_text(text, encoding="utf-8")
            code, _, err = run_cli(capsys, "validate", "-f", str(target))
            assert code == 1, (path, value, err)
            assert f"{target}:" in err and "Traceback" not in err, (path, value, err)


@given(state=states())
@examples(100)
def test_any_state_its_schema_accepts_never_crashes_plan(
    state: dict[str, Any], capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    path = workdir / "numbers.yaml"
    path.write_text(EXAMPLE_TEXT, encoding="utf-8")
    path.with_suffix(".state.json").write_text(json.dumps(state), encoding="utf-8")
    for fmt in ("text", "json", "markdown"):
        argv = ("plan", "-f", str(path), "--format", fmt, "--no-color")
        code, _, err = run_cli(capsys, *argv)
        assert_no_crash(code, err, argv)


# -- bugs the properties found, pinned now that they are fixed ----------------------


def test_a_deeply_nested_manifest_is_an_error_not_a_crash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text("version: 1\naccount: {sid: a}\nnumbers: " + "[" * 1200 + "]" * 1200 + "\n")
    argv = ("validate", "-f", str(path))
    code, _, err = run_cli(capsys, *argv)
    assert_no_crash(code, err, argv)


def test_a_state_entry_with_a_wrongly_typed_url_is_an_error_not_a_crash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text(EXAMPLE_TEXT, encoding="utf-8")
    entry = {"phone_number": "+918030240002", "sid": "s1", "voice_url": 5}
    state = {"format": "exoplan-state", "version": 1, "lineage": "l", "serial": 1}
    state["numbers"] = {"+918030240002": entry}
    path.with_suffix(".state.json").write_text(json.dumps(state), encoding="utf-8")
    argv = ("plan", "-f", str(path))
    code, _, err = run_cli(capsys, *argv)
    assert_no_crash(code, err, argv)


def test_a_control_character_is_reported_where_it_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text("version: 1\naccount: {sid: a\x08}\nnumbers: []\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "validate", "-f", str(path))
    assert code == 1
    assert err.splitlines()[0].startswith(f"{path}:2:17: YAML syntax error: ")
    assert len(err.splitlines()) == 2, err


NASTY_MANIFESTS = {
    "billion laughs": "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "version: 1\naccount: {sid: a}\nnumbers: *d\n",
    "self-referencing list": "&a [*a]\n",
    "self-referencing mapping": "&a {version: 1, account: *a, numbers: []}\n",
    "merge key into itself": "version: 1\naccount: &a {sid: x, <<: *a}\nnumbers: []\n",
    "date as a flow name": "version: 1\naccount: {sid: a}\nflows: {2020-01-01: {app_id: 1}}\n"
    "numbers: [{number: '+918030240001', voice_flow: '2020-01-01'}]\n",
    "list as a key": "version: 1\naccount: {sid: a}\nflows: {[1, 2]: {app_id: 1}}\nnumbers: []\n",
    "binary sid": "version: 1\naccount: {sid: !!binary aGVsbG8=}\nnumbers: []\n",
    "python tag": "version: 1\naccount: {sid: !!python/object:os.system a}\nnumbers: []\n",
    "two documents": "version: 1\n---\nversion: 1\n",
    "tab indent": "version: 1\naccount:\n\tsid: a\n",
    "byte order mark": "\ufeffversion: 1\naccount: {sid: a}\nnumbers: []\n",
    "NUL byte": "version: 1\x00\n",
    "huge app id": "version: 1\naccount: {sid: a}\nflows: {f: {app_id: 99999999999999999999999}}\n"
    "numbers: [{number: '+918030240001', voice_flow: f}]\n",
    "300-digit number": "version: 1\naccount: {sid: a}\nnumbers: [{number: '" + "9" * 300 + "'}]\n",
    "version .nan": "version: .nan\naccount: {sid: a}\nnumbers: []\n",
    "sid with url characters": "version: 1\naccount: {sid: 'a/b?c#d %'}\nnumbers: []\n",
}


@pytest.mark.parametrize("name", sorted(NASTY_MANIFESTS))
def test_hand_made_nasty_manifests_never_crash(
    name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = NASTY_MANIFESTS[name]
    check_manifest_text(capsys, tmp_path / "nasty.yaml", text.encode("utf-8"))


SMOKE = {
    "example": EXAMPLE_TEXT,
    "example cut before its numbers": EXAMPLE_TEXT[: EXAMPLE_TEXT.index("numbers:")],
    "example without indentation": "\n".join(line.lstrip() for line in EXAMPLE_TEXT.splitlines()),
    "random bytes": "version: 1\nnumbers: [\x7f\u2603 :: {{\n",
}


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_the_real_command_never_crashes_on_mangled_manifests(name: str, tmp_path: Path) -> None:
    (tmp_path / "numbers.yaml").write_text(SMOKE[name], encoding="utf-8")
    for command in ("validate", "plan"):
        result = exoplan(None, tmp_path, command)
        assert "Traceback" not in result.stderr, result.stderr
        assert result.code in (0, 1), result.stderr
    assert result.code == (0 if name == "example" else 1)


def test_a_key_with_a_line_break_is_reported_on_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text('version: 1\naccount: {sid: a, "x\\ny": 1}\nnumbers: []\n', encoding="utf-8")
    code, _, err = run_cli(capsys, "validate", "-f", str(path))
    assert code == 1
    assert len(err.splitlines()) == 2, err


def test_digits_without_the_default_country_code_are_not_read_as_another_country() -> None:
    """numbers.normalise: only digits that start with the default country's code get a "+"."""
    with pytest.raises(InvalidNumber):
        normalise("2208470054")  # not an Indian number; read today as +220 (Gambia)
