"""Manager pages (HTML), served by the same app."""
