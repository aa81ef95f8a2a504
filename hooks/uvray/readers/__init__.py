"""One reader per format: text in, model objects and InputErrors out; readers never raise."""
