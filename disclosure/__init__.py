"""Statistical disclosure control for the published marts: what is secret, and the audit that
proves an attacker holding the published file learns nothing about fewer than k persons.

Pure Python (NumPy, pandas, SciPy's HiGHS): imported by the dbt project's pattern model and by
the privacy guard; it imports nothing of the warehouse's own packages.
"""
