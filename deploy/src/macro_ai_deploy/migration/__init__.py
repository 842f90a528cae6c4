"""The migrate verbs' logic as plain functions: plan from options, target from the stack, outcome."""
