"""One module per verb group; `macro_ai_deploy.cli` only registers them."""
