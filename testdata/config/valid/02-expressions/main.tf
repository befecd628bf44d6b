locals {
  numbers    = [1, 2.5, -3, 1e3, 0.5e-2]
  math       = (1 + 2) * 3 / 4 - 5 % 2
  logic      = !true || (false && 1 < 2) || 3 >= 3 && 4 != 5 && 6 == 6
  chosen     = var.enabled ? "on" : "off"
  nested     = var.a == null ? (var.b > 0 ? var.b : -var.b) : var.a
  null_value = null

  greeting = "hello, ${var.name}!"
  escaped  = "literal $${not_interpolated} and %%{not_a_directive} and \"quotes\" \n"
  strip    = "${~ var.name ~}"

  directive = "%{if var.enabled}yes%{else}no%{endif}"
  loop      = "%{for i, v in var.items}${i}=${v},%{endfor}"

  heredoc = <<EOT
line one ${var.name}
%{ for s in var.items ~}
- ${s}
%{ endfor ~}
EOT

  indented = <<-EOT
    indented ${upper(var.name)}
      keeps relative indentation
    EOT

  list_for   = [for s in var.items : upper(s) if s != ""]
  map_for    = { for k, v in var.map : k => v }
  grouped    = { for k, v in var.map : v => k... }
  index_for  = [for i, s in var.items : "${i}:${s}"]

  splat_full = aws_vpclattice_service.svc[*].arn
  splat_attr = aws_vpclattice_service.svc.*.arn
  splat_deep = var.objects[*].tags["team"]
  legacy     = var.items.0
  indexed    = var.matrix[0][1]
  keyed      = var.map["key with spaces"]

  calls    = concat(var.items, ["x"], tolist(toset(var.items)))
  expanded = max(var.numbers...)
  nested_calls = jsonencode({ a = [1, 2, { b = "c" }], "quoted key" = true, (var.name) = 1 })
  try_can  = try(var.map["missing"], can(regex("^a", var.name)) ? "a" : "b")
  object   = { a = 1, b = "two", c = [3], d = { e = null } }
  tuple    = ["a", 1, true, null, ["nested"]]
  template_call = templatefile("${path.module}/policy.json.tpl", { name = var.name })
  cidr     = cidrsubnet("10.0.0.0/16", 8, count.index)
}
