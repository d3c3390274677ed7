// Renders /v1/openapi.json: one section per operation, with its
// parameters, request body and responses. No outside assets.
(function () {
  'use strict';
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function resolve(doc, o) {
    while (o && o.$ref) {
      o = o.$ref.replace(/^#\//, '').split('/').reduce(function (v, k) { return v && v[k]; }, doc);
    }
    return o || {};
  }
  function schemaText(doc, s, depth) {
    if (!s) return '';
    if (s.$ref) {
      var name = s.$ref.split('/').pop();
      return depth > 0 ? name : name + ' ' + schemaText(doc, resolve(doc, s), depth + 1);
    }
    if (s.oneOf) return s.oneOf.map(function (x) { return schemaText(doc, x, depth + 1); }).join(' | ');
    if (s.type === 'array') return '[' + schemaText(doc, s.items, depth + 1) + ']';
    if (s.type === 'object' && s.properties && depth < 2) {
      return '{' + Object.keys(s.properties).map(function (k) {
        return k + ((s.required || []).indexOf(k) >= 0 ? '*' : '') + ': ' + schemaText(doc, s.properties[k], depth + 1);
      }).join(', ') + '}';
    }
    return Array.isArray(s.type) ? s.type.join('|') : (s.type || 'any');
  }
  function table(head, rows) {
    return el('table', {}, [el('tr', {}, head.map(function (h) { return el('th', {}, [h]); }))].concat(
      rows.map(function (r) { return el('tr', {}, r.map(function (c) { return el('td', {}, [c]); })); })));
  }
  function render(doc) {
    var ops = document.getElementById('ops'), toc = document.getElementById('toc'), n = 0;
    document.getElementById('summary').textContent = doc.info.description;
    (doc.tags || []).forEach(function (tag) {
      toc.appendChild(el('a', { href: '#tag-' + tag.name }, [tag.name]));
      ops.appendChild(el('h2', { id: 'tag-' + tag.name }, [tag.name]));
      Object.keys(doc.paths).forEach(function (path) {
        var item = doc.paths[path];
        Object.keys(item).forEach(function (method) {
          var op = item[method];
          if ((op.tags || [])[0] !== tag.name) return;
          n++;
          var sec = el('section', { class: 'op', id: op.operationId }, [
            el('h3', {}, [el('span', { class: 'method ' + method }, [method]), el('span', { class: 'path' }, [path])]),
            el('p', {}, [op.summary || ''])]);
          var params = (op.parameters || []).map(function (p) { return resolve(doc, p); });
          if (params.length) {
            sec.appendChild(table(['parameter', 'in', 'type', ''], params.map(function (p) {
              return [el('code', {}, [p.name + (p.required ? '*' : '')]), p.in, schemaText(doc, p.schema, 1), p.description || ''];
            })));
          }
          if (op.requestBody) {
            var rb = resolve(doc, op.requestBody);
            sec.appendChild(table(['request body', 'schema'], Object.keys(rb.content || {}).map(function (ct) {
              return [el('code', {}, [ct]), el('code', {}, [schemaText(doc, rb.content[ct].schema, 0)])];
            })));
          }
          sec.appendChild(table(['status', 'description', 'body'], Object.keys(op.responses).map(function (st) {
            var r = resolve(doc, op.responses[st]), cts = Object.keys(r.content || {});
            var body = cts.map(function (ct) { return ct + ' ' + schemaText(doc, r.content[ct].schema, 1); }).join('; ');
            return [st, r.description || '', el('code', {}, [body])];
          })));
          ops.appendChild(sec);
        });
      });
    });
    document.title = doc.info.title + ' (' + n + ' operations)';
  }
  fetch('/v1/openapi.json').then(function (r) { return r.json(); }).then(render, function (err) {
    document.getElementById('summary').textContent = 'Could not load /v1/openapi.json: ' + err;
  });
})();
