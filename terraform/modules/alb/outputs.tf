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
  description = "The Route 53 record when one was created, otherwise the load balancer's DNS name."
  value       = try(local.host, null)
}

output "url" {
  description = "Base URL of the production listener, e.g. `https://staging.example.com` or `http://<alb-dns-name>`."
  value       = try("${local.scheme}://${local.host}", null)
}

output "test_url" {
  description = "Base URL of the shared test listener (null unless `test_listener`; CodeDeploy services have their own, see `codedeploy`)."
  value       = try("${local.scheme}://${local.host}:${aws_lb_listener.test[0].port}", null)
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
      url                     = "${local.scheme}://${local.host}:${s.listener_port}"
      production_listener_arn = aws_lb_listener.codedeploy[k].arn
      test_listener_arn       = aws_lb_listener.codedeploy_test[k].arn
    }
  }, null)
}
