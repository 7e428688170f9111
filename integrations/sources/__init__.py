"""Evidence source adapters: each polls one kind of publication and returns plain items."""
