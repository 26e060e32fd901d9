"""Operations, reports, exports, key management and demo data."""
