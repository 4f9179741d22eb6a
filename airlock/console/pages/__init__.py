"""The console's pages, one module per service (plus sign-in and home)."""
