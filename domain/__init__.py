"""Models and rules shared by every layer; pure, so workflows may import them."""
