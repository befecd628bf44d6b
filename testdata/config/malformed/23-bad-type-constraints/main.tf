variable "quoted" {
  type = "string"
}

variable "bare_list" {
  type = list
}

variable "unknown" {
  type = strng
}

variable "bad_optional" {
  type = optional(string)
}

variable "bad_default" {
  type = object({ a = optional(string, var.x) })
}

variable "bad_args" {
  type = map(string, number)
}

variable "bad_ctor" {
  type = lsit(string)
}
