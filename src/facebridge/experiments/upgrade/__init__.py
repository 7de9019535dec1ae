"""The model-upgrade study: 1:N identification with a migrated gallery, the transition scenarios, the
operator's deployment answer, adaptation and the shifted-domain protocol."""
