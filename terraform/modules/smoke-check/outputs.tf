output "security_group_id" {
  description = "Security group of the smoke check hook (the test listener admits it by reference)."
  value       = try(aws_security_group.this.id, null)
}

output "subnet_ids_parameter" {
  description = "SSM parameter (StringList) with the hook's subnets, read by Shipgate's stack."
  value       = try(aws_ssm_parameter.subnet_ids.name, null)
}

output "security_group_id_parameter" {
  description = "SSM parameter with the hook's security group, read by Shipgate's stack."
  value       = try(aws_ssm_parameter.security_group_id.name, null)
}

output "vpc_id_parameter" {
  description = "SSM parameter with the hook's VPC, read by Shipgate's stack."
  value       = try(aws_ssm_parameter.vpc_id.name, null)
}
