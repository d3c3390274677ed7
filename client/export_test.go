package client

// WithStrictDecoding makes a Client refuse any response field its types
// lack, so the tests catch a server that writes a field this package
// does not know.
var WithStrictDecoding = withStrictDecoding
