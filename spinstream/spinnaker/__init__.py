"""sPyNNaker's face of spinstream (placeholder; the package arrives with issue 15)."""
