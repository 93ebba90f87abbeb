"""The lossless writer: edits are written into the package parts they concern; every other part
is copied through unchanged."""
