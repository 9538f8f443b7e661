"""The internal procurement write API: the ERP's purchase orders, production orders, goods receipts
and stock, imported as `gateway erp import` does."""
