"""The staff console's pages: login, the queue, one case, the case list (with CSV export), key figures."""
