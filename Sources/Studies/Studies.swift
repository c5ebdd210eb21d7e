// Studies module
