"""The manifest stage: YAML file -> validated :class:`~reconciler.model.Manifest`, with every
problem located; phone numbers, flow URLs and the shipped JSON Schemas."""
