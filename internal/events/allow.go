package events

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Allowlist decides which addresses webhooks may reach. Without entries
// every address is allowed except link-local ones (which hold the cloud
// metadata services) and the metadata services' names; with entries,
// only the listed networks and host names are. Its methods are safe for
// concurrent use.
type Allowlist struct {
	prefixes []netip.Prefix
	hosts    map[string]bool
	resolver *net.Resolver
}

// metadataHosts are names of cloud metadata services, refused unless
// listed.
var metadataHosts = map[string]bool{
	"metadata":                   true,
	"metadata.google.internal":   true,
	"instance-data":              true,
	"instance-data.ec2.internal": true,
}

// refused are the addresses refused without an allowlist: link-local
// (169.254.169.254 and fd00:ec2::254 are the usual metadata addresses)
// and Alibaba's metadata address.
var refused = []netip.Prefix{
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
	netip.MustParsePrefix("100.100.100.200/32"),
}

// ParseAllowlist returns the allowlist of entries, each a CIDR
// ("10.0.0.0/8"), an address ("192.0.2.7") or a host name
// ("hooks.example.com").
func ParseAllowlist(entries []string) (*Allowlist, error) {
	a := &Allowlist{hosts: make(map[string]bool), resolver: net.DefaultResolver}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
			return nil, fmt.Errorf("events: empty --webhook-allow entry")
		case strings.Contains(e, "/"):
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("events: --webhook-allow %q: %v", e, err)
			}
			a.prefixes = append(a.prefixes, p.Masked())
		default:
			if ip, err := netip.ParseAddr(e); err == nil {
				a.prefixes = append(a.prefixes, netip.PrefixFrom(ip, ip.BitLen()))
				continue
			}
			a.hosts[strings.ToLower(strings.TrimSuffix(e, "."))] = true
		}
	}
	return a, nil
}

// listed reports whether the operator gave an allowlist.
func (a *Allowlist) listed() bool { return len(a.prefixes) > 0 || len(a.hosts) > 0 }

// hostAllowed reports whether host is allowed by name: listed, or (with
// no list) not a metadata name. ok false means its addresses decide.
func (a *Allowlist) hostAllowed(host string) (allowed, byName bool) {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if a.hosts[h] {
		return true, true
	}
	if !a.listed() && metadataHosts[h] {
		return false, true
	}
	return false, false
}

// addrAllowed reports whether ip may be reached.
func (a *Allowlist) addrAllowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range a.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	if a.listed() {
		return false
	}
	for _, p := range refused {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// Check resolves host and reports why it may not be reached, or nil.
func (a *Allowlist) Check(ctx context.Context, host string) error {
	_, err := a.resolve(ctx, host)
	return err
}

// resolve returns the allowed addresses of host ("" for a host allowed
// by name: dial it as it is).
func (a *Allowlist) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ok, byName := a.hostAllowed(host); byName {
		if !ok {
			return nil, fmt.Errorf("host %q is a cloud metadata service; list it in --webhook-allow to allow it", host)
		}
		return nil, nil
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		addrs, err := a.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil || len(addrs) == 0 {
			return nil, fmt.Errorf("host %q does not resolve: %v", host, err)
		}
		ips = addrs
	}
	var ok []netip.Addr
	for _, ip := range ips {
		if a.addrAllowed(ip) {
			ok = append(ok, ip)
		}
	}
	if len(ok) == 0 {
		if a.listed() {
			return nil, fmt.Errorf("host %q (%s) is not in --webhook-allow", host, ips[0])
		}
		return nil, fmt.Errorf("host %q (%s) is link-local or a cloud metadata address; list it in --webhook-allow to allow it", host, ips[0])
	}
	return ok, nil
}

// DialContext dials addr only at an allowed address: the check is made
// on the address dialled, so a name that resolves differently later
// (DNS rebinding) gets no further than at creation.
func (a *Allowlist) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips, err := a.resolve(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("events: webhook destination refused: %w", err)
	}
	var d net.Dialer
	if ips == nil {
		return d.DialContext(ctx, network, addr)
	}
	var last error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}
