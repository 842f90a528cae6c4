"""Entry point for the CDK CLI (``cdk.json``): ``python app.py``."""

from macro_ai_infra.app import main

main()
