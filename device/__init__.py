"""The Midstance appliance process: camera, pose model, LED strip, staff button, runtime loop
and the ``midstance`` command line."""
