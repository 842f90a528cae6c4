"""The migration safety net: a Lambda handler (``handler.py``) shipped as a code asset."""
