"""Accounts through Amazon Cognito: sign-up, login, refresh, logout, password reset, token checks."""
