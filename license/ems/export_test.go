package ems

// ProtectionKeyID exports protectionKeyID to the tests of package ems_test.
var ProtectionKeyID = protectionKeyID
