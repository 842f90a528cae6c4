"""Users: the local profile of a Cognito identity (id = Cognito ``sub``)."""
