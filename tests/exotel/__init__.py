"""Tests of ``reconciler.exotel``: the API client, its retry policy and pacing."""
