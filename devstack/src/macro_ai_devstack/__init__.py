"""Local development and test stand-ins: a real PostgreSQL and the moto Cognito emulator.

Never part of the service image: production talks to RDS and to Amazon Cognito.
"""
