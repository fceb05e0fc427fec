output "arn" {
  description = "ARN of the load balancer."
  value       = try(aws_lb.this.arn, null)
}

output "arn_suffix" {
  description = "ARN suffix of the load balancer (the `LoadBalancer` dimension of its CloudWatch metrics)."
  value       = try(aws_lb.this.arn_suffix, null)
}

output "dns_name" {
  description = "DNS name AWS gave the load balancer."
  value       = try(aws_lb.this.dns_name, null)
}

output "zone_id" {
  description = "Route 53 zone ID of the load balancer (for alias records)."
  value       = try(aws_lb.this.zone_id, null)
}

output "fqdn" {
  description = "The Route 53 record when one was created, otherwise the DNS name of the public entry (internal load balancer with `public_entry`) or of the load balancer."
  value       = try(local.public_host, null)
}

output "url" {
  description = "Base URL of the production listener, e.g. `https://staging.example.com` or `http://<dns-name>`."
  value       = try("${local.scheme}://${local.public_host}", null)
}

output "test_url" {
  description = "Base URL of the shared test listener: plain HTTP on the load balancer's own DNS name, which resolves to private addresses when `internal` (null unless `test_listener`; CodeDeploy services have their own, see `codedeploy`)."
  value       = try("http://${aws_lb.this.dns_name}:${aws_lb_listener.test[0].port}", null)
}

output "internal" {
  description = "Whether the load balancer is internal (its DNS name resolves to private addresses, so callers inside the VPC reach it there)."
  value       = try(aws_lb.this.internal, null)
}

output "public_entry_dns_name" {
  description = "DNS name of the network load balancer in front of an internal load balancer (null without `public_entry`)."
  value       = try(aws_lb.public_entry[0].dns_name, null)
}

output "security_group_id" {
  description = "Security group of the load balancer; services allow their container port from it."
  value       = try(aws_security_group.this.id, null)
}

output "production_listener_arn" {
  description = "ARN of the listener that carries production traffic (HTTPS when a certificate is set)."
  value       = try(local.production_listener_arn, null)
}

output "test_listener_arn" {
  description = "ARN of the shared test listener (null unless `test_listener`; CodeDeploy services have their own, see `codedeploy`)."
  value       = try(aws_lb_listener.test[0].arn, null)
}

output "codedeploy" {
  description = "Per CodeDeploy service: its base URL and its own production and test listeners."
  value = try({
    for k, s in local.codedeploy : k => {
      url                     = "${local.scheme}://${local.public_host}:${s.listener_port}"
      production_listener_arn = aws_lb_listener.codedeploy[k].arn
      test_listener_arn       = aws_lb_listener.codedeploy_test[k].arn
    }
  }, null)
}
