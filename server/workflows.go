package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/nexustask/nexus/internal/errcode"
	"github.com/nexustask/nexus/internal/workflow"
)

// maxWorkflowBody bounds a POST /v1/workflows, /v1/batches or /v1/chains
// body: room for --max-steps steps with small inputs.
const maxWorkflowBody = 64 << 20

// HeaderWorkflowState is the state of the workflow a result answers.
const HeaderWorkflowState = "X-Nexus-Workflow-State"

// WorkflowList is GET /v1/workflows.
type WorkflowList struct {
	Workflows []workflow.Header `json:"workflows"`
}

func (s *Server) workflowEngine() (*workflow.Engine, error) {
	if s.cfg.Workflows == nil {
		return nil, fmt.Errorf("%w: the workflow engine is not running", errUnavailable)
	}
	return s.cfg.Workflows, nil
}

// submitWorkflow is POST /v1/workflows: 202 with the record once it is
// durable with its first steps' tasks, 200 with the existing one for a
// known idempotency key.
func (s *Server) submitWorkflow(c echo.Context) error {
	return s.submitShape(c, workflow.Decode)
}

// submitBatchWorkflow is POST /v1/batches.
func (s *Server) submitBatchWorkflow(c echo.Context) error {
	return s.submitShape(c, workflow.DecodeBatch)
}

// submitChain is POST /v1/chains.
func (s *Server) submitChain(c echo.Context) error {
	return s.submitShape(c, workflow.DecodeChain)
}

func (s *Server) submitShape(c echo.Context, decode func([]byte) (workflow.Definition, error)) error {
	eng, err := s.workflowEngine()
	if err != nil {
		return err
	}
	body, err := readBody(c, maxWorkflowBody)
	if err != nil {
		return err
	}
	d, err := decode(body)
	if err != nil {
		return err
	}
	v, created, err := eng.Submit(c.Request().Context(), d)
	if err != nil {
		return err
	}
	if !created {
		return c.JSON(http.StatusOK, v)
	}
	return c.JSON(http.StatusAccepted, v)
}

// listWorkflows is GET /v1/workflows?state=&name=&tag=&limit=.
func (s *Server) listWorkflows(c echo.Context) error {
	eng, err := s.workflowEngine()
	if err != nil {
		return err
	}
	q := c.QueryParams()
	limit := 0
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			return fmt.Errorf("%w: limit %q must be a positive number", errBadRequest, v)
		}
	}
	hs, err := eng.List(workflow.Filter{State: q.Get("state"), Name: q.Get("name"), Tag: q.Get("tag")}, limit)
	if err != nil {
		return err
	}
	if hs == nil {
		hs = []workflow.Header{}
	}
	return c.JSON(http.StatusOK, WorkflowList{Workflows: hs})
}

// getWorkflow is GET /v1/workflows/{id}.
func (s *Server) getWorkflow(c echo.Context) error {
	eng, err := s.workflowEngine()
	if err != nil {
		return err
	}
	v, err := eng.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// workflowOp serves the POST /v1/workflows/{id}/… operations.
func (s *Server) workflowOp(op func(*workflow.Engine, context.Context, string) (workflow.View, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		eng, err := s.workflowEngine()
		if err != nil {
			return err
		}
		v, err := op(eng, c.Request().Context(), c.Param("id"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, v)
	}
}

// workflowResult is GET /v1/workflows/{id}/result?wait=30s: once the
// workflow has finished, 200 with its result (a batch's summary, the
// output of its last step, or the envelope of its last steps) if it
// succeeded, 422 task_error naming the failure if not; while it runs,
// 202 with its record after waiting up to wait.
func (s *Server) workflowResult(c echo.Context) error {
	eng, err := s.workflowEngine()
	if err != nil {
		return err
	}
	wait, err := waitParam(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	ctx, cancel := context.WithTimeout(c.Request().Context(), wait)
	defer cancel()
	if err := eng.Wait(ctx, id); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	v, out, done, err := eng.Result(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(HeaderWorkflowState, v.State)
	switch {
	case !done:
		return c.JSON(http.StatusAccepted, v)
	case v.State == workflow.Succeeded:
		return c.Blob(http.StatusOK, "application/octet-stream", out)
	}
	code, msg := errcode.TaskError, fmt.Sprintf("workflow %s failed: %s", id, v.ErrorMessage)
	if v.State == workflow.Canceled {
		code, msg = errcode.Canceled, fmt.Sprintf("workflow %s was canceled", id)
	}
	return c.JSON(errcode.StatusOf(code), ErrorBody{Error: ErrorDetail{Code: code, Message: msg}})
}

// workflowGraph is GET /v1/workflows/{id}/graph?format=mermaid|dot|json.
func (s *Server) workflowGraph(c echo.Context) error {
	eng, err := s.workflowEngine()
	if err != nil {
		return err
	}
	b, ctype, err := eng.Graph(c.Request().Context(), c.Param("id"), c.QueryParam("format"))
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, ctype, b)
}
