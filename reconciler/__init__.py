"""exoplan: declarative management of Exotel ExoPhones (plan, apply, drift)."""

__version__ = "0.1.0"
