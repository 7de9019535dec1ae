"""The canonical-space study: one space shared by every model against a direct map per pair."""
