// Analysis module
