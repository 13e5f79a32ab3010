"""Tests of ``reconciler.sandbox``: the local Exotel stand-in, over real HTTP."""
