output "name" {
  description = "Name of the SSM parameter holding the contract, `<prefix>/<environment>/services/<service>`."
  value       = try(aws_ssm_parameter.this.name, null)
}

output "arn" {
  description = "ARN of the SSM parameter (Shipgate's role needs ssm:GetParameter on it)."
  value       = try(aws_ssm_parameter.this.arn, null)
}

output "contract" {
  description = "The contract document as an object."
  value       = try(local.contract, null)
}

output "json" {
  description = "The contract document as stored (JSON)."
  value       = try(aws_ssm_parameter.this.insecure_value, null)
}
