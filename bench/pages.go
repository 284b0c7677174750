package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

var (
	// pageAsset finds what a portal page loads: its scripts, stylesheets,
	// icons and images. Links a client may follow are not part of the page.
	pageAsset = regexp.MustCompile(`<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]+)"`)
	// moduleImport finds the modules an ES module imports, statically or not.
	moduleImport = regexp.MustCompile(`(?:\bimport\b[^"'();]*?|\bimport\s*\(\s*)["']([^"']+)["']`)
)

// pageWeight loads a page and everything it pulls in as a browser asking
// for gzip would, and returns the bytes on the wire (bodies, as sent) and
// every URL it would fetch from another origin.
func pageWeight(base, path string) (int, []string, error) {
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	origin, err := url.Parse(base)
	if err != nil {
		return 0, nil, err
	}

	total, foreign := 0, []string(nil)
	seen := map[string]bool{}
	queue := []string{base + path}
	for len(queue) > 0 {
		address := queue[0]
		queue = queue[1:]
		if seen[address] {
			continue
		}
		seen[address] = true

		target, err := url.Parse(address)
		if err != nil {
			return 0, nil, err
		}
		if target.Host != origin.Host || target.Scheme != origin.Scheme {
			foreign = append(foreign, address)
			continue
		}

		req, err := http.NewRequest(http.MethodGet, address, nil)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return 0, nil, fmt.Errorf("GET %s: %d", address, resp.StatusCode)
		}
		total += len(body)

		text, err := readable(resp, body)
		if err != nil {
			return 0, nil, err
		}
		pattern := pageAsset
		if strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
			pattern = moduleImport
		}
		for _, match := range pattern.FindAllStringSubmatch(text, -1) {
			ref, err := url.Parse(match[1])
			if err != nil {
				return 0, nil, fmt.Errorf("%s loads %q: %v", address, match[1], err)
			}
			queue = append(queue, target.ResolveReference(ref).String())
		}
	}
	return total, foreign, nil
}

// readable is a response body as the browser reads it, gunzipped if need be.
func readable(resp *http.Response, body []byte) (string, error) {
	if resp.Header.Get("Content-Encoding") != "gzip" {
		return string(body), nil
	}
	reader, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	plain, err := io.ReadAll(reader)
	return string(plain), err
}
