output "vpc_id" {
  description = "ID of the VPC."
  value       = try(aws_vpc.this.id, null)
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR block of the VPC."
  value       = try(aws_vpc.this.cidr_block, null)
}

output "azs" {
  description = "Availability zones the subnets span."
  value       = try(local.azs, null)
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (load balancers, NAT gateway)."
  value       = try(aws_subnet.public[*].id, null)
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (ECS tasks, databases, brokers)."
  value       = try(aws_subnet.private[*].id, null)
}

output "private_route_table_id" {
  description = "ID of the route table of the private subnets."
  value       = try(aws_route_table.private.id, null)
}

output "nat_gateway_public_ip" {
  description = "Public IP of the NAT gateway (null when there is none): the address services call out from."
  value       = try(aws_eip.nat[0].public_ip, null)
}

output "vpc_endpoint_ids" {
  description = "Interface endpoint IDs keyed by service short name, plus `s3` and `dynamodb` for the gateway endpoints."
  value       = try(merge({ for k, v in aws_vpc_endpoint.interface : k => v.id }, { s3 = aws_vpc_endpoint.s3.id, dynamodb = aws_vpc_endpoint.dynamodb.id }), null)
}

output "endpoints_security_group_id" {
  description = "Security group of the interface endpoints (HTTPS from the VPC): callers in the private subnets send AWS API calls to it."
  value       = try(aws_security_group.endpoints.id, null)
}

output "dynamodb_prefix_list_id" {
  description = "Prefix list of the DynamoDB gateway endpoint (for security group egress rules)."
  value       = try(aws_vpc_endpoint.dynamodb.prefix_list_id, null)
}
