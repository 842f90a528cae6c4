"""`macro-deploy cost`: the monthly bill of each profile from its synthesized templates, beside the EC2 fleet.

data.py (price table, loads, capacity), inventory.py (what a template bills for), templates.py (which
templates make a profile), schedule.py (running tasks over a week), model.py + lines.py (dollars per
component), advice.py (what-ifs), report.py (table and JSON).
"""
