"""What the appliance (``device``) and the page (``web``) share: the session store, the live
snapshot, the staff settings schema and the vocabulary. Below both, above the pure ``core``."""
