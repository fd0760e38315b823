"""Firms pasted as a list: the parser lives in service/firm_list.py (the sheet import below the web uses
it too); this name stays for the form and its tests."""
from service.firm_list import parse_firm_list

__all__ = ["parse_firm_list"]
