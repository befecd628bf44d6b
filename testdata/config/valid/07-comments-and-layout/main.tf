# A file with a byte-order mark, Windows line endings and every comment style.
// line comment
/* block
   comment */
resource "aws_vpclattice_service" "c" { # trailing
  name = "c" // trailing
  /* inline */ auth_type = "NONE"
}

resource "aws_vpclattice_service" "empty" {}
locals {}
