"""Files accountants and other tools import: tax forms and transaction CSVs. Pure: records
in, text out."""
