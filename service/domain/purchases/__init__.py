"""An account's purchase history: the ERP's orders, shipments, invoices and returns, as it sends them."""

__all__: list[str] = []
