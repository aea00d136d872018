// The children of an XML document's root element, read in recover mode (IAPR TC-12's .eng files).
#include "cmh_xml.h"
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

static int append(char **out, size_t *used, size_t *capacity, const char *text, size_t length) {
  if (*used + length + 1 > *capacity) {
    size_t grown = (*capacity + length + 1) * 2;
    char *bigger = realloc(*out, grown);
    if (bigger == NULL) return -1;
    *out = bigger;
    *capacity = grown;
  }
  memcpy(*out + *used, text, length);
  *used += length;
  (*out)[*used] = 0;
  return 0;
}

char *cmh_xml_root_fields(const char *data, size_t size, const char *encoding, const char *url) {
  int options = XML_PARSE_RECOVER | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NONET;
  xmlDocPtr document = xmlReadMemory(data, (int)size, url, encoding, options);
  if (document == NULL) return NULL;
  xmlNodePtr root = xmlDocGetRootElement(document);
  char *out = NULL;
  size_t used = 0, capacity = 0;
  if (root == NULL || append(&out, &used, &capacity, "", 0) != 0) { xmlFreeDoc(document); return NULL; }
  for (xmlNodePtr node = root->children; node != NULL; node = node->next) {
    if (node->type != XML_ELEMENT_NODE || node->name == NULL) continue;
    xmlChar *content = xmlNodeGetContent(node);
    const char *name = (const char *)node->name, *text = content ? (const char *)content : "";
    int failed = append(&out, &used, &capacity, name, strlen(name)) || append(&out, &used, &capacity, "\x1f", 1)
              || append(&out, &used, &capacity, text, strlen(text)) || append(&out, &used, &capacity, "\x1e", 1);
    if (content) xmlFree(content);
    if (failed) { free(out); xmlFreeDoc(document); return NULL; }
  }
  xmlFreeDoc(document);
  return out;
}
