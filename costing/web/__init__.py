"""The web layer: it calls the engine and never computes money itself."""
