"""Chronopost's tracking: La Poste's Suivi v2 answers for Chronopost parcels too (see `laposte_suivi`)."""

from carriers.tracking.laposte_suivi import SuiviAdapter

ADAPTER = SuiviAdapter(carrier="chronopost")
