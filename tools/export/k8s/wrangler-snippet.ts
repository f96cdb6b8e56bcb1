/**
 * The gateway's side of the cloud tier: the wrangler.toml settings that route the gateway to the exported
 * service, as a snippet to merge into the deployment's wrangler.toml. Only what the cloud tier decides: its
 * public URL, the variant it serves unversioned (the gateway names it in `x-model-variant`; Triton ignores
 * the header and serves the highest version, which the export made that variant), tensors in binary (Triton's
 * extension, which both servers speak). The SLO and every other knob stay where they are: the export read them.
 */
import { stringify } from 'smol-toml';
import type { GatewayConfig } from '../../../src/config.js';

export interface OriginRoute {
  /** The HTTPS address the Worker reaches the tier at (an ingress, a load balancer, a tunnel). */
  publicUrl: string;
  /** In-cluster Services, for the ingress or tunnel in front of them: target name -> service URL. */
  services: Record<string, string>;
}

export function wranglerSnippet(config: GatewayConfig, route: OriginRoute): string {
  const origin = { binary: true, variant: config.origin.variant, timeout_ms: config.origin.timeout_ms, expected_rtt_ms: config.origin.expected_rtt_ms };
  const lines = [
    '# Merge into wrangler.toml: the gateway routed to the cloud tier written by `npm run export:k8s`.',
    '# The shared secret goes in as a Worker secret, never here: `npx wrangler secret put ORIGIN_TOKEN`.',
    '# Point the public URL (ingress, load balancer or Cloudflare Tunnel) at one of these in-cluster Services:',
    ...Object.entries(route.services).map(([what, url]) => `#   ${what}: ${url}`),
    '# Triton checks no token: put the ORIGIN_TOKEN check in front of it (docs/deployment.md "The shared secret").',
    '',
    stringify({ vars: { ORIGIN_URL: route.publicUrl } }).trim(),
    '',
    '# Replaces only these keys of the existing table: keep its other entries.',
    stringify({ vars: { GATEWAY_CONFIG: { origin } } }).trim(),
    '',
  ];
  return lines.join('\n');
}
