"""cnncost: what does this CNN architecture cost? Exact, framework-free counts."""
