import { artifactSegments, gitlabRest } from '../../../lambdas/domain/gitlab/rest';

/** A fetch that answers from a table of URLs and records what it was asked, with which token. */
function fakeFetch(pages: Record<string, { body: unknown; link?: string }>) {
  const asked: { url: string; token: string | null }[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input);
    asked.push({ url, token: new Headers(init?.headers).get('private-token') });
    const page = pages[url];
    if (!page) return new Response('{"message":"404 Not Found"}', { status: 404 });
    return new Response(JSON.stringify(page.body), {
      status: 200,
      headers: { 'content-type': 'application/json', ...(page.link ? { link: page.link } : {}) },
    });
  }) as typeof globalThis.fetch;
  return { fetch, asked };
}

const API = 'https://gitlab.example.com/api/v4';

describe('GitLab REST client', () => {
  it('follows rel="next" links on the configured GitLab, with the token', async () => {
    const { fetch, asked } = fakeFetch({
      [`${API}/projects/7/freeze_periods`]: {
        body: [{ id: 1 }],
        link: `<${API}/projects/7/freeze_periods?page=2>; rel="next"`,
      },
      [`${API}/projects/7/freeze_periods?page=2`]: { body: [{ id: 2 }] },
    });
    const api = gitlabRest({ host: 'https://gitlab.example.com/', token: 'glpat-secret', fetch });
    expect(await api.FreezePeriods.all(7)).toEqual([{ id: 1 }, { id: 2 }]);
    expect(asked.map((a) => a.token)).toEqual(['glpat-secret', 'glpat-secret']);
  });

  it('does not send the token where a next-page link leaves that GitLab (host, scheme or port)', async () => {
    for (const elsewhere of [
      'https://evil.example.net/api/v4/projects/7/freeze_periods?page=2',
      'http://gitlab.example.com/api/v4/projects/7/freeze_periods?page=2',
      'https://gitlab.example.com:8443/api/v4/projects/7/freeze_periods?page=2',
    ]) {
      const { fetch, asked } = fakeFetch({
        [`${API}/projects/7/freeze_periods`]: { body: [{ id: 1 }], link: `<${elsewhere}>; rel="next"` },
      });
      const api = gitlabRest({ host: 'https://gitlab.example.com', token: 'glpat-secret', fetch });
      await expect(api.FreezePeriods.all(7)).rejects.toThrow(
        "GitLab's next-page link leaves https://gitlab.example.com; not followed",
      );
      expect(asked.map((a) => a.url)).toEqual([`${API}/projects/7/freeze_periods`]);
    }
  });

  it('encodes artifact paths from the pipeline and refuses ones that would leave the artifacts route', async () => {
    expect(artifactSegments('reports/gl-sast report#1.json')).toBe('reports/gl-sast%20report%231.json');
    for (const bad of ['../../../user', 'reports/./x.json', '/etc/passwd', 'reports//x.json']) {
      expect(() => artifactSegments(bad)).toThrow(/Invalid artifact path/);
    }
    const { fetch, asked } = fakeFetch({});
    const api = gitlabRest({ host: 'https://gitlab.example.com', token: 't', fetch });
    await expect(
      api.JobArtifacts.downloadArchive(7, { jobId: 9, artifactPath: '../../user' }),
    ).rejects.toThrow(/Invalid artifact path/);
    expect(asked).toEqual([]);
  });
});
