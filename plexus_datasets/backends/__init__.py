"""Storage backends: one verb-named contract (``base.Backend``), several stores."""
