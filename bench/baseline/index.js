// Returns the value stored under "availability" in KV, nothing else.
export default {
  async fetch(request, env) {
    const value = await env.KV.get("availability");
    return new Response(value ?? "{}", { headers: { "content-type": "application/json" } });
  },
};
